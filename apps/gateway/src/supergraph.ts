import { readFileSync } from 'node:fs';
import { Kind, parse, print, visit } from 'graphql';

/**
 * The composed supergraph (`npm run compose`) with subgraph URLs replaced by name: the committed file names
 * the development ports, a deployment (or a test on port 0) names its own. Each `join__graph` enum value
 * carries `url:`; the planner reads it from there, so rewriting the SDL is all it takes.
 */
export function withSubgraphUrls(supergraphSdl: string, urls: Readonly<Record<string, string>>): string {
  const unknown = new Set(Object.keys(urls));
  const document = visit(parse(supergraphSdl), {
    Directive(node) {
      if (node.name.value !== 'join__graph') return undefined;
      const name = node.arguments?.find((a) => a.name.value === 'name')?.value;
      if (name?.kind !== Kind.STRING) return undefined;
      const url = urls[name.value];
      if (url === undefined) return undefined;
      unknown.delete(name.value);
      return {
        ...node,
        arguments: node.arguments?.map((argument) =>
          argument.name.value === 'url'
            ? { ...argument, value: { kind: Kind.STRING, value: url } }
            : argument,
        ),
      };
    },
  });
  if (unknown.size > 0) {
    throw new Error(`the supergraph has no subgraph named ${[...unknown].join(', ')}`);
  }
  return print(document);
}

export function loadSupergraph(path: string, urls: Readonly<Record<string, string>>): string {
  return withSubgraphUrls(readFileSync(path, 'utf8'), urls);
}

/** A subgraph's URL as the supergraph (URLs already final) names it, or undefined. */
export function subgraphUrl(supergraphSdl: string, name: string): string | undefined {
  let found: string | undefined;
  visit(parse(supergraphSdl), {
    Directive(node) {
      if (node.name.value !== 'join__graph') return;
      const graph = node.arguments?.find((a) => a.name.value === 'name')?.value;
      const url = node.arguments?.find((a) => a.name.value === 'url')?.value;
      if (graph?.kind === Kind.STRING && graph.value === name && url?.kind === Kind.STRING) found = url.value;
    },
  });
  return found;
}
