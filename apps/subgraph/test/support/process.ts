import { type ChildProcess, spawn } from 'node:child_process';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
}

/**
 * A built service (`dist/main.js`) in its own process, as `npm start` runs it: resolves once its `/readyz`
 * answers 200 on `port`, throws with its output when it exits first or is not ready within 90 s (then killed).
 */
export async function startBuiltProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<StartedProcess> {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`subgraph exited early (${child.exitCode}):\n${output}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (ready === 200) return { child, output: () => output };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`subgraph did not become ready:\n${output}`);
}
