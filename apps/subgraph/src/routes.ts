import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, errorBody, readBody, sendJson, type ValidationError } from '@custos/runtime';

/** An endpoint outside GraphQL (`createHttpServer`'s routes): answers, and returns the status it answered. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<number>;

export function methodNotAllowed(res: ServerResponse, allow: string): number {
  sendJson(res, 405, errorBody(`Use ${allow.replace(', ', ' or ')}`, 'METHOD_NOT_ALLOWED'), { allow });
  return 405;
}

/** 400 BAD_USER_INPUT with every problem by field and rule (the messages never repeat a value). */
export function badInput(res: ServerResponse, error: ValidationError): number {
  sendJson(res, 400, {
    errors: [{ message: error.message, extensions: { code: 'BAD_USER_INPUT', problems: error.problems } }],
  });
  return 400;
}

/**
 * The request body as a JSON object, at most `max` bytes; otherwise the refusal is answered here (413 past the
 * limit, 400 for anything but a JSON object) and its status returned.
 */
export async function readJsonObject(
  req: IncomingMessage,
  res: ServerResponse,
  max: number,
): Promise<Record<string, unknown> | number> {
  try {
    const parsed: unknown = JSON.parse((await readBody(req, max)).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new SyntaxError('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      sendJson(res, 413, errorBody(`Request body is larger than ${max} bytes`, 'BODY_TOO_LARGE'), {
        connection: 'close',
      });
      return 413;
    }
    sendJson(res, 400, errorBody('Request body must be a JSON object', 'BAD_REQUEST'));
    return 400;
  }
}
