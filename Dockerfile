# Fulgor: the CA, the CT log and the TSA share one image; the command chooses (README "Deployment").
# Not built by CI: the machine where Fulgor is developed cannot pull base images (no Docker Hub). The files are
# checked by test/integration/deployment.spec.ts, which also runs this image's command and health check as processes.

# Node 20 on Debian bookworm, pinned by version. The build stage uses the full image (python3, make and g++ for the
# native modules: better-sqlite3, the search index, and the optional pkcs11js); the runtime stage the slim image of
# the same Node and Debian release, so the compiled modules match its ABI.
ARG NODE_VERSION=20.20.2

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No lifecycle scripts while installing (the project's own `prepare` runs tsc, and the sources are not copied yet);
# then `npm rebuild` runs the dependencies' install scripts: pkcs11js, and better-sqlite3 when its prebuilt binary
# cannot be downloaded, compile with node-gyp against the headers the node image ships in /usr/local/include/node
# (nothing downloaded from nodejs.org).
RUN npm ci --ignore-scripts --no-audit --no-fund && npm_config_nodedir=/usr/local npm rebuild
# .dockerignore keeps test/, bench/, keys, data and secrets out of the build context.
COPY . .
# Compiles what bin/fulgor.ts imports, and nothing else: dist/ gets no test/ or bench/.
RUN npx tsc -p deploy/tsconfig.image.json && test ! -e dist/test && test ! -e dist/bench \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# tini as PID 1: it forwards every signal to node and reaps children, so fulgor behaves as on a host. Node itself
# as PID 1 gets SIGTERM/SIGINT/SIGHUP only while it has a handler for them (the kernel drops signals with the default
# action for a namespace's init): a SIGTERM during start-up and the second SIGTERM that should stop at once would be
# ignored until the orchestrator's SIGKILL. Kubernetes has no `--init`, so it is in the image.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Root-owned and read-only for the service user: the code and its dependencies.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The log's web page (/ui/) is served from its source assets, found beside dist/ as in a checkout.
COPY --from=build /app/ui/assets ui/assets
COPY deploy/healthcheck.mjs deploy/
# /data: the writable volume (the CT log's file store, development keys). /keys: where keys are mounted (read-only in
# production); owned by node so that a fresh named volume there (the development keys) is writable without chown.
RUN mkdir -p /data /keys && chown node:node /data /keys
VOLUME ["/data"]
# Relative paths (the defaults keys-dev and ct-data) land in the volume.
WORKDIR /data
USER node
EXPOSE 8080 6962
# The CA's port; the CT log's service points it at 6962 (compose files). Fails on anything but 2xx: /healthz answers
# 503 while the server drains, so the orchestrator stops sending traffic.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/healthcheck.mjs", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Production defaults: mount the keys at /keys (read-only) and the identity config at /config; no --dev.
CMD ["node", "/app/dist/bin/fulgor.js", "serve", "--host", "0.0.0.0", "--port", "8080", "--ct-port", "6962", "--config-path", "/config/identity.yaml", "--keys-dir", "/keys", "--ct-storage", "file:/data/ct-data"]
