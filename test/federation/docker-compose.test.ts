import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BlockList } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseTrustedProxies } from '@custos/runtime';
import { describe, expect, it } from 'vitest';
import { loadChannelSettings } from '../../apps/subgraph/src/jobs/settings.js';

/**
 * docker-compose.yml cannot run here (no Docker engine): it is checked by reading it. What the README promises of
 * it: only the gateway's port is published, each service connects as its own database role, each made by
 * docker/postgres-roles.sql, and the subgraph trusts the gateway — and only it — to name the client of
 * `/public/*`, whose confirmation links point at the gateway's published port.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Service {
  ports?: (string | { published?: string | number; host_ip?: string })[];
  expose?: unknown[];
  network_mode?: string;
  environment?: Record<string, string>;
  networks?: Record<string, { ipv4_address?: string } | null>;
}
const compose = yaml.load(readFileSync(`${root}docker-compose.yml`, 'utf8')) as {
  services: Record<string, Service>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string }[] } }>;
};
const services = Object.entries(compose.services);
const rolesSql = readFileSync(`${root}docker/postgres-roles.sql`, 'utf8');
const createdRoles = [...rolesSql.matchAll(/create role (\w+) login/g)].map((match) => match[1]);
const userOf = (url: string | undefined) => (url ? decodeURIComponent(new URL(url).username) : undefined);

describe('docker-compose.yml', () => {
  it('publishes only the gateway’s port, on loopback, the port the gateway listens on', () => {
    expect(services.map(([name]) => name)).toEqual(
      expect.arrayContaining(['postgres', 'subgraph', 'tickets', 'gateway']),
    );
    const published = services.filter(([, service]) => (service.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['gateway']);
    const gateway = compose.services.gateway!;
    expect(gateway.ports).toEqual([`127.0.0.1:${gateway.environment?.PORT}:${gateway.environment?.PORT}`]);
    // No back door around `ports`: no host networking anywhere.
    for (const [, service] of services) expect(service.network_mode).toBeUndefined();
  });

  it('runs each service as its own role — tickets and the gateway never as the application role — all made by the roles script', () => {
    const subgraph = compose.services.subgraph!.environment!;
    const tickets = compose.services.tickets!.environment!;
    const gateway = compose.services.gateway!.environment!;
    expect(userOf(subgraph.DATABASE_URL)).toBe('custos_app');
    expect(userOf(tickets.DATABASE_URL)).toBe('custos_tickets');
    expect(userOf(gateway.DATABASE_URL)).toBe('custos_gateway');
    expect(userOf(subgraph.DATABASE_OWNER_URL)).toBe('custos_owner');
    expect(userOf(tickets.DATABASE_OWNER_URL)).toBe('custos_owner');
    expect(userOf(gateway.DATABASE_OWNER_URL)).toBe('custos_owner');
    expect(createdRoles.sort()).toEqual(['custos_app', 'custos_gateway', 'custos_owner', 'custos_tickets']);
    // The gateway's database variables are exactly its role and the owner that grants it: no other URL.
    expect(
      Object.keys(gateway)
        .filter((key) => /DATABASE/.test(key))
        .sort(),
    ).toEqual(['DATABASE_OWNER_URL', 'DATABASE_URL']);
    // It signs and hashes with the services' keys: their data directory, on the same volume.
    expect(gateway.CUSTOS_DATA_DIR).toBe(subgraph.CUSTOS_DATA_DIR);
    const volumeOf = (name: string) =>
      (compose.services[name] as { volumes?: string[] }).volumes?.find((v) =>
        v.endsWith(`:${subgraph.CUSTOS_DATA_DIR}`),
      );
    expect(volumeOf('gateway')).toBeDefined();
    expect(volumeOf('gateway')).toBe(volumeOf('subgraph'));
  });
});

describe('docker-compose.yml: the client of /public/*', () => {
  const subgraph = compose.services.subgraph!.environment!;
  const gateway = compose.services.gateway!;
  const gatewayAddress = gateway.networks?.default?.ipv4_address ?? '';
  const [subnet = '', ...moreSubnets] = (compose.networks?.default?.ipam?.config ?? []).map((c) => c.subnet);

  it('gives the gateway a fixed address on the compose network, inside its subnet', () => {
    expect(moreSubnets).toEqual([]);
    const [base = '', bits = ''] = subnet.split('/');
    const network = new BlockList();
    network.addSubnet(base, Number(bits), 'ipv4');
    expect(network.check(gatewayAddress, 'ipv4')).toBe(true);
    // The only service with an address of its own (the others' are the network's to give).
    const fixed = services.filter(([, service]) => service.networks?.default?.ipv4_address !== undefined);
    expect(fixed.map(([name]) => name)).toEqual(['gateway']);
  });

  it('has the subgraph trust the gateway’s X-Forwarded-For, and no other address on the network', () => {
    const parsed = parseTrustedProxies(subgraph.TRUSTED_PROXIES);
    expect(parsed).not.toBeTypeOf('string');
    const { list, entries } = parsed as Exclude<typeof parsed, string>;
    expect(entries).toBe(1);
    expect(list.check(gatewayAddress, 'ipv4')).toBe(true);
    // Both ways: the network's other addresses — the host's bridge (.1), the other services — are not trusted,
    // so none of them can name a client.
    const prefix = gatewayAddress.slice(0, gatewayAddress.lastIndexOf('.') + 1);
    const others = [1, 2, 3, 4, 5, 9, 11, 254].map((host) => `${prefix}${host}`);
    expect(others.filter((address) => list.check(address, 'ipv4'))).toEqual([]);
  });

  it('points confirmation links at the gateway’s published port, as the subgraph accepts it', () => {
    const [published] = gateway.ports as string[];
    const [hostIp, hostPort] = published!.split(':');
    expect(subgraph.PUBLIC_BASE_URL).toBe(`http://${hostIp}:${hostPort}`);
    const settings = loadChannelSettings(subgraph, { production: false, dataDir: subgraph.CUSTOS_DATA_DIR! });
    expect(settings.consent.publicBaseUrl).toBe(`http://127.0.0.1:${gateway.environment?.PORT}`);
    // Where the mail carrying them is read: the capture folder in the subgraph's data volume.
    expect(settings.mail.captureDir).toBe(`${subgraph.CUSTOS_DATA_DIR}/outbox`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
  const workspaces = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { workspaces: string[] })
    .workspaces;
  // Every workspace folder, from the root manifest's patterns (`packages/*` → each package folder).
  const folders = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(`${root}${pattern.slice(0, -2)}`, { withFileTypes: true })
          .filter(
            (entry) =>
              entry.isDirectory() && existsSync(`${root}${pattern.slice(0, -2)}/${entry.name}/package.json`),
          )
          .map((entry) => `${pattern.slice(0, -2)}/${entry.name}`)
      : [pattern],
  );

  it('copies every workspace’s manifest before npm ci, so the lockfile’s workspaces all exist in the image', () => {
    expect(folders.length).toBeGreaterThanOrEqual(12);
    const beforeInstall = dockerfile.slice(0, dockerfile.indexOf('RUN npm ci'));
    expect(beforeInstall.length).toBeGreaterThan(0);
    for (const folder of folders) {
      expect(beforeInstall, folder).toContain(`COPY ${folder}/package.json ${folder}/`);
    }
  });
});
