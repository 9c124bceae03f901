# Fulgor: the CA and the CT log share one image; the command chooses (`serve`, `ct serve`, `keys init`).
# Native modules (better-sqlite3 for the search index; the optional pkcs11js) compile with node-gyp when no prebuilt
# binary can be downloaded: the build stage has the compiler, the image that runs does not.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
COPY cli cli
COPY lib lib
COPY signer signer
COPY ca ca
COPY oidc oidc
COPY decision decision
COPY ct ct
COPY config config
COPY server server
COPY trust trust
COPY monitor monitor
COPY search search
COPY tsa tsa
COPY test test
COPY bench bench
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
USER node
ENTRYPOINT ["node", "dist/bin/fulgor.js"]
CMD ["--help"]
