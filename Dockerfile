# The app image: worker and API (and the one-shot migrate step) run from it
# with different commands (see docker-compose.yml). TypeScript runs through tsx.
FROM node:20-bookworm-slim

# fonts-noto-cjk: the CJK font embedded in the PDF documents.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates openssl fonts-noto-cjk \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

COPY package.json package-lock.json ./
RUN npm ci

COPY . .
# The generated client (gitignored) is built into the image. The CLI only needs
# DATABASE_URL to be set; nothing connects at build time.
RUN DATABASE_URL=postgresql://build@localhost:5432/build npx prisma generate

ENV HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000
USER node
CMD ["npx", "tsx", "api/server.ts"]
