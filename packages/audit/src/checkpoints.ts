import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@custos/runtime';
import { loadOrCreateSecret } from '@custos/runtime';

/**
 * Signed checkpoints of the audit chain's head, written outside the database (GDPR Art 32: the log must show
 * when it was cut short). Someone able to delete the newest batches and events could otherwise leave a chain
 * that verifies; a checkpoint names a batch (sequence and hash) that must still be there. Each service appends
 * to its own JSON-lines file under the checkpoint directory; production mounts that directory on storage the
 * database's administrators cannot rewrite (or ships the lines to an external sink). Signed with Ed25519.
 */
export interface Checkpoint {
  /** The chain (database) the checkpoint belongs to (audit_chain). */
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly service: string;
  /** Base64 Ed25519 signature of {@link signedText}. */
  readonly signature: string;
}

const signedText = (c: Omit<Checkpoint, 'signature'>) =>
  ['custos-audit-checkpoint-v2', c.chain, String(c.seq), c.hash, c.at, c.service].join('\n');

/** The signing key: AUDIT_SIGNING_KEY (a PKCS#8 PEM) or, in development, one made under `<dataDir>/keys`. */
export async function loadSigningKey(pem: string | undefined, dataDir: string): Promise<KeyObject> {
  const text =
    pem ??
    (
      await loadOrCreateSecret(dataDir, 'audit-signing.pem', () =>
        generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      )
    ).toString();
  return createPrivateKey(text.replace(/\\n/g, '\n'));
}

export class CheckpointLog {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly service: string,
    private readonly key: KeyObject,
  ) {
    this.file = path.join(dir, `checkpoints-${service}.jsonl`);
  }

  /** Appends a signed checkpoint of batch `seq` and makes it durable before returning. */
  async write(chain: string, seq: number, hash: string, at = new Date()): Promise<Checkpoint> {
    const unsigned = { chain, seq, hash, at: at.toISOString(), service: this.service };
    const checkpoint = {
      ...unsigned,
      signature: sign(null, Buffer.from(signedText(unsigned)), this.key).toString('base64'),
    };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const handle = await open(this.file, 'a', 0o600);
    try {
      await handle.write(`${JSON.stringify(checkpoint)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return checkpoint;
  }
}

/**
 * When a writer checkpoints the chain's head: every `everyMs` after a batch, and when forced (a flush, shutdown),
 * never twice for one head. A checkpoint that cannot be written is logged; the next one names a later head.
 */
export class CheckpointSchedule {
  private head:
    | { readonly chain: string | undefined; readonly seq: number; readonly hash: string }
    | undefined;
  private checkpointed: number | undefined;
  private lastCheckpointAt = 0;

  constructor(
    private readonly log: CheckpointLog | undefined,
    private readonly everyMs: number,
    private readonly logger: Logger,
  ) {}

  /** A batch was stored: the head of chain `chain` (audit_chain; undefined: none yet) is now `seq`, `hash`. */
  advance(chain: string | undefined, seq: number, hash: string): void {
    this.head = { chain, seq, hash };
  }

  /** A signed checkpoint of the head, if one is due (or `force`) and the head has none yet. */
  async checkpoint(force: boolean): Promise<void> {
    const checkpoints = this.log;
    const head = this.head;
    if (!checkpoints || !head?.chain || this.checkpointed === head.seq) return;
    if (!force && Date.now() - this.lastCheckpointAt < this.everyMs) return;
    this.lastCheckpointAt = Date.now();
    try {
      await checkpoints.write(head.chain, head.seq, head.hash);
      this.checkpointed = head.seq;
    } catch (error) {
      this.logger.error(
        { errorName: error instanceof Error ? error.name : 'unknown' },
        'audit checkpoint not written',
      );
    }
  }
}

export interface CheckpointRead {
  readonly checkpoints: Checkpoint[];
  /** Lines of this chain that are not a checkpoint or whose signature does not verify: each one is a finding. */
  readonly invalid: number;
}

/**
 * Every service's checkpoints of chain `chain` under `dir`, signatures checked with `key`'s public half. Lines of
 * other chains (another database's, sharing the directory) are not this chain's business and are skipped.
 */
export async function readCheckpoints(dir: string, key: KeyObject, chain: string): Promise<CheckpointRead> {
  if (!existsSync(dir)) return { checkpoints: [], invalid: 0 };
  const publicKey = createPublicKey(key);
  const checkpoints: Checkpoint[] = [];
  let invalid = 0;
  for (const name of (await readdir(dir)).filter((n) => /^checkpoints-.+\.jsonl$/.test(n)).sort()) {
    for (const line of (await readFile(path.join(dir, name), 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      try {
        const c = JSON.parse(line) as Checkpoint;
        if (c.chain !== chain) continue;
        const ok =
          Number.isSafeInteger(c.seq) &&
          typeof c.hash === 'string' &&
          typeof c.at === 'string' &&
          typeof c.service === 'string' &&
          typeof c.signature === 'string' &&
          verify(null, Buffer.from(signedText(c)), publicKey, Buffer.from(c.signature, 'base64'));
        if (ok) checkpoints.push(c);
        else invalid += 1;
      } catch {
        invalid += 1;
      }
    }
  }
  return { checkpoints, invalid };
}
