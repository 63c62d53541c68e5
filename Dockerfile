# Custos: the subgraph, the tickets subgraph and the gateway in one image (docker-compose.yml runs each with its
# own command), with the console's static build, which the gateway serves when CONSOLE_DIR=/app/apps/admin/dist
# (README: "Serving the console in production"). Build from the repository root: docker build -t custos .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json supergraph.graphql ./
COPY packages/policy/package.json packages/policy/
COPY packages/runtime/package.json packages/runtime/
COPY packages/database/package.json packages/database/
COPY packages/audit/package.json packages/audit/
COPY packages/enforcement/package.json packages/enforcement/
COPY packages/server/package.json packages/server/
COPY packages/mail/package.json packages/mail/
COPY packages/jobs/package.json packages/jobs/
COPY apps/subgraph/package.json apps/subgraph/
COPY apps/tickets/package.json apps/tickets/
COPY apps/gateway/package.json apps/gateway/
COPY apps/admin/package.json apps/admin/
COPY bench/package.json bench/
COPY test/package.json test/
# graphql-jit is patched at install (patches/: the postinstall's patch-package; packages/server README).
COPY patches patches
RUN npm ci --no-audit --no-fund
COPY packages packages
COPY apps/subgraph apps/subgraph
COPY apps/tickets apps/tickets
COPY apps/gateway apps/gateway
COPY apps/admin apps/admin
RUN npx turbo run build --filter=@custos/subgraph --filter=@custos/tickets --filter=@custos/gateway \
  --filter=@custos/admin

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=development
COPY --from=build /app /app
# The data volume (development keys, audit checkpoints): a new named volume takes this directory's owner.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000 4001 4002
# A larger young generation: list responses allocate many short-lived objects (see bench/).
CMD ["node", "--max-semi-space-size=32", "apps/subgraph/dist/main.js"]
