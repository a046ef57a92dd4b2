# syntax=docker/dockerfile:1
# docbatch docbatch: the all-in-one binary and CLI (serve, run, gen, submit, status, watch, cancel).
#
# Build from the repository root (the build context is the whole Go workspace,
# trimmed by /.dockerignore):
#   docker build -f deploy/docker/docbatch.Dockerfile -t docbatch/docbatch:dev .
# A static binary (CGO_ENABLED=0, -trimpath) on distroless static with a
# numeric non-root user. No HEALTHCHECK instruction: Kubernetes probes
# grpc.health.v1 natively and compose runs the healthprobe copied in below.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
# The whole workspace: go.work lists every module (deploy/ included), and the
# cache mounts keep the module download and build caches between builds.
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/docbatch ./cmd/docbatch && \
    go build -trimpath -ldflags="-s -w" -o /out/healthprobe ./deploy/healthprobe

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/docbatch /usr/local/bin/docbatch
COPY --from=build /out/healthprobe /usr/local/bin/healthprobe
# distroless "nonroot" is uid/gid 65532; numeric so that Kubernetes'
# runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
WORKDIR /home/nonroot
# Listen on every interface inside the container (the binaries default to
# loopback). Caches (the processor's compiled PDFium) go under /tmp, which
# stays writable when the root filesystem is read-only (mount an emptyDir).
ENV DOCBATCH_LISTEN=0.0.0.0:7400 XDG_CACHE_HOME=/tmp/cache
EXPOSE 7400
ENTRYPOINT ["/usr/local/bin/docbatch"]
# "docbatch serve" with every service on one port; override the command for
# the client subcommands, e.g. submit --server scheduler:7401 --watch /data/docs.
CMD ["serve", "--roots", "/data/docs"]
