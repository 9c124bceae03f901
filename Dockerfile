# Fulgor: the CA and the CT log share one image; the command chooses (`serve`, `ct serve`, `keys init`).
FROM node:20-bookworm-slim
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
COPY search search
COPY ui ui
COPY test test
COPY bench bench
RUN npm ci && npm prune --omit=dev
USER node
ENTRYPOINT ["node", "dist/bin/fulgor.js"]
CMD ["--help"]
