# The push server for self-hosters on systems other than Debian (see docker-compose.yml).
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# node itself, not the npx/tsx wrappers, so SIGHUP (re-read TLS files) reaches the server.
CMD ["node", "--import", "tsx", "server/main.ts"]
