// A worker in a process of its own (the built package, as a service runs it): it takes one job of `test.kill`,
// says so on stdout, and never finishes it — the test kills it with SIGKILL there.
import { createJobQueue, jobQueue, loadJobsConfig } from '@custos/jobs';
import { createLogger } from '@custos/runtime';

const queues = { 'test.kill': jobQueue() };
const jobs = await createJobQueue({
  url: process.env.JOBS_TEST_URL,
  queues,
  config: loadJobsConfig(process.env),
  logger: createLogger('silent'),
  name: 'killed-worker',
});
await jobs.work('test.kill', async (_payload, job) => {
  process.stdout.write(`started ${job.id} ${job.attempt}\n`);
  await new Promise(() => {});
});
process.stdout.write('ready\n');
