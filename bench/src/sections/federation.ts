// Gateway cost: the same contacts query straight to the subgraph and through the gateway (apps/gateway, Hive
// Gateway, in front of a second instance of the same subgraph), both in production mode, measured side by side.
// The subgraph has the server core to itself on both paths; the gateway runs on the load generator's core
// (BENCH_GATEWAY_TOPOLOGY=shared: on the subgraph's); each process's CPU time per request is reported beside the
// ratio. custos-via-gateway-undici is the same gateway with undici's Pool as its direct path's client (issue 13:
// the hand-written client stays only if undici is more than 10% slower); custos-via-proxy a byte-forwarding
// node:http proxy (what the plainest Node front costs, for reference). Goal (issue 4): through the gateway, at
// least 0.70x of the direct throughput.
import { benchScript } from '../paths.js';
import { fmt, pairText, rangeOf, verdict } from '../report.js';
import { pairRatio, ratio, roundPairs } from '../rows.js';
import { custosServer, gatewayServer, PRODUCTION } from '../servers.js';
import type { Section } from './section.js';

const GATEWAY_GOAL = 0.7;

/** CPU ms as printed. */
const ms = (value: number | null | undefined) =>
  typeof value === 'number' ? `${value.toFixed(2)} ms` : 'n/a';

export const federation: Section<
  'custos-direct' | 'custos-via-gateway' | 'custos-via-gateway-undici' | 'custos-via-proxy'
> = {
  servers: ['custos-direct', 'custos-via-gateway', 'custos-via-gateway-undici', 'custos-via-proxy'],
  together: 'any',
  specs: {
    'custos-direct': custosServer('custos subgraph (direct)', PRODUCTION),
    'custos-via-gateway': gatewayServer('custos through the gateway', 'custom', 'custos-direct'),
    'custos-via-gateway-undici': gatewayServer(
      'custos through the gateway, undici Pool client',
      'undici',
      'custos-direct',
    ),
    'custos-via-proxy': {
      ...custosServer('byte proxy in front of custos', { NODE_ENV: 'production' }),
      script: benchScript('servers/proxy.js'),
      upstream: 'custos-direct',
      // Its own database role: the audit trail of its refusals, nothing else (README: database roles).
      gatewayRole: true,
      env: (_context, upstreamPort) => ({ CUSTOS_SUBGRAPH_URL: `http://127.0.0.1:${upstreamPort}/graphql` }),
    },
  },
  open: ({ settings }) => ({
    finish(rows) {
      const comparisons = settings.sizes.flatMap((size) => {
        const find = (server: string) => rows.find((row) => row.server === server && row.size === size);
        const direct = find('custos-direct');
        const via = find('custos-via-gateway');
        const proxy = find('custos-via-proxy');
        const undici = find('custos-via-gateway-undici');
        if (!direct || !via) return [];
        // Judged on the median of the round pairs' ratios (the fair protocol); the ratio of the medians beside it.
        const judged = pairRatio(via, direct);
        const gatewayOverDirect = judged.value;
        return [
          {
            size,
            direct: direct.requestsPerSecond,
            viaGateway: via.requestsPerSecond,
            viaGatewayUndici: undici?.requestsPerSecond ?? null,
            viaProxy: proxy?.requestsPerSecond ?? null,
            gatewayOverDirect,
            gatewayOverDirectOfMedians: judged.ofMedians,
            judged,
            proxyOverDirect: ratio(proxy, direct),
            // The gateway with undici's Pool against the same gateway with the hand-written client (issue 13).
            undiciOverCustom: ratio(undici, via),
            undiciRoundPairRatios: roundPairs(undici, via),
            roundPairRatios: judged.roundPairs,
            // CPU ms per request of each process (medians of the rounds): the subgraph alone, the gateway and the
            // subgraph behind it, the proxy and the subgraph behind it.
            cpuMsPerRequest: {
              direct: direct.cpuMsPerRequest ?? null,
              viaGateway: via.cpuMsPerRequest ?? null,
              viaGatewayUndici: undici?.cpuMsPerRequest ?? null,
              viaProxy: proxy?.cpuMsPerRequest ?? null,
            },
            goalMet:
              direct.valid && via.valid && gatewayOverDirect !== null && gatewayOverDirect >= GATEWAY_GOAL,
          },
        ];
      });
      const report = {
        goal: `via gateway >= ${GATEWAY_GOAL} x direct req/s at every size`,
        topology: settings.gatewayTopology,
        comparisons,
        goalMet: comparisons.length === 0 ? null : comparisons.every((c) => c.goalMet),
      };
      if (rows.length > 0) {
        console.log('');
        console.log(
          'Federation: the same query direct to the subgraph and through the gateway (req/s, medians; fronts ' +
            (settings.gatewayTopology === 'split'
              ? "on the load generator's core, the subgraph alone on its own)"
              : "on the subgraph's core: one CPU budget)"),
        );
        for (const c of comparisons) {
          console.log(
            `first=${c.size}: direct ${c.direct ?? 'n/a'}, via gateway ${c.viaGateway ?? 'n/a'}, ` +
              `gateway/direct ${pairText(c.judged)}, goal (>= ${GATEWAY_GOAL.toFixed(2)}x) ${verdict(c.goalMet)}; ` +
              `node:http byte proxy/direct ${fmt(c.proxyOverDirect)} (reference front, measured alike)`,
          );
          const cpu = c.cpuMsPerRequest;
          if (cpu.direct || cpu.viaGateway) {
            console.log(
              `  CPU per request: subgraph direct ${ms(cpu.direct?.server)}; gateway ${ms(cpu.viaGateway?.front)} ` +
                `+ its subgraph ${ms(cpu.viaGateway?.server)}; proxy ${ms(cpu.viaProxy?.front)} + its subgraph ` +
                `${ms(cpu.viaProxy?.server)}`,
            );
          }
          if (c.viaGatewayUndici !== null) {
            console.log(
              `  undici Pool client: via gateway ${c.viaGatewayUndici}, undici/custom ${fmt(c.undiciOverCustom)}` +
                `${rangeOf(c.undiciRoundPairRatios)}; CPU per request: gateway ${ms(cpu.viaGatewayUndici?.front)} + ` +
                `its subgraph ${ms(cpu.viaGatewayUndici?.server)}`,
            );
          }
        }
      }
      return { json: { federation: report }, goals: [report.goalMet] };
    },
  }),
};
