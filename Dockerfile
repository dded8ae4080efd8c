# syntax=docker/dockerfile:1
#
# stemdex service images.
#   CPU (default, last stage):  docker build -t stemdex .
#   CUDA (onnxruntime CUDA EP): docker build --target cuda -t stemdex:cuda .
# The trained model ships in the image, from models/ by default; another exported model folder
# inside the build context can be chosen with --build-arg MODEL_DIR=<folder>.
# See docs/deploy.md.

ARG NODE_VERSION=20.20
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ---- build: native addons (hnswlib-node, better-sqlite3) and the TypeScript ------------------
# The full Debian Node image already carries python3, make and g++ for node-gyp.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# Skip onnxruntime-node's installer: the CPU binaries inside the npm package are enough. (An
# environment variable, not .npmrc: npm warns about config keys it does not know.)
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ src/
COPY web/ web/
# Then slim the production tree: onnxruntime-node ships binaries for every OS and CPU (about 245 MiB
# that this platform never loads), and node-gyp leaves its object files behind.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
 && keep="$(node -p 'process.platform + "/" + process.arch')" \
 && for dir in node_modules/onnxruntime-node/bin/napi-v6/*/*; do \
      [ "${dir#node_modules/onnxruntime-node/bin/napi-v6/}" = "$keep" ] || rm -rf "$dir"; \
    done \
 && test -f "node_modules/onnxruntime-node/bin/napi-v6/$keep/onnxruntime_binding.node" \
 && rm -rf node_modules/*/build/Release/obj.target node_modules/*/build/Release/.deps

# ---- build-cuda: same tree plus onnxruntime's CUDA execution provider libraries ---------------
# The command's own ONNXRUNTIME_NODE_INSTALL replaces the build stage's `skip`; the installer fetches
# the CUDA 12 provider libraries (from NuGet) next to the bundled CPU ones.
FROM build AS build-cuda
RUN ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so

# ---- node-base: the Node runtime both images start from --------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS node-base

# ---- cuda: GPU image (CUDA 12 + cuDNN 9 runtime, the Node binary of node-base) ----------------
FROM ${CUDA_IMAGE} AS cuda
COPY --from=node-base /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production \
    STEMDEX_HOST=0.0.0.0 \
    STEMDEX_PORT=8080 \
    STEMDEX_MODEL_DIR=/app/models \
    STEMDEX_DATA_DIR=/var/lib/stemdex \
    STEMDEX_EXECUTION_PROVIDERS=cuda,cpu
COPY --from=build-cuda /app/package.json ./
COPY --from=build-cuda /app/node_modules/ node_modules/
COPY --from=build-cuda /app/dist/ dist/
COPY docker/healthcheck.mjs docker/
ARG MODEL_DIR=models
COPY ${MODEL_DIR}/ models/
RUN test -f models/manifest.json -a -f models/encoder.onnx -a -f models/predictor.onnx \
 || { echo "no exported model in ${MODEL_DIR}/ (manifest.json, encoder.onnx, predictor.onnx)" >&2; exit 1; } \
 && mkdir -p /var/lib/stemdex && chown 1000:1000 /var/lib/stemdex
USER 1000:1000
VOLUME ["/var/lib/stemdex"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs"]
CMD ["node", "dist/src/cli.js", "serve"]

# ---- cpu (default): slim Debian, non-root --------------------------------------------------
FROM node-base AS cpu
WORKDIR /app
ENV NODE_ENV=production \
    STEMDEX_HOST=0.0.0.0 \
    STEMDEX_PORT=8080 \
    STEMDEX_MODEL_DIR=/app/models \
    STEMDEX_DATA_DIR=/var/lib/stemdex \
    STEMDEX_EXECUTION_PROVIDERS=cpu
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY docker/healthcheck.mjs docker/
ARG MODEL_DIR=models
COPY ${MODEL_DIR}/ models/
RUN test -f models/manifest.json -a -f models/encoder.onnx -a -f models/predictor.onnx \
 || { echo "no exported model in ${MODEL_DIR}/ (manifest.json, encoder.onnx, predictor.onnx)" >&2; exit 1; } \
 && mkdir -p /var/lib/stemdex && chown 1000:1000 /var/lib/stemdex
USER 1000:1000
VOLUME ["/var/lib/stemdex"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs"]
CMD ["node", "dist/src/cli.js", "serve"]
