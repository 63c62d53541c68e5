# The Custos subgraph. Build from the repository root: docker build -t custos-subgraph .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages/policy/package.json packages/policy/
COPY apps/subgraph/package.json apps/subgraph/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY packages/policy packages/policy
COPY apps/subgraph apps/subgraph
RUN npx turbo run build --filter=@custos/subgraph

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=development
COPY --from=build /app /app
USER node
EXPOSE 4001
# A larger young generation: list responses allocate many short-lived objects (see bench/).
CMD ["node", "--max-semi-space-size=32", "apps/subgraph/dist/main.js"]
