# Tools are pinned in tools/go.mod (tool directives) and run from there, so
# nothing is installed globally and every machine gets the same versions.
GOTOOL := cd $(CURDIR)/tools && GOWORK=off go tool
TOOLBIN := $(CURDIR)/bin/tools
MODULES := . ./proto ./services/platform ./services/scheduler ./services/processor ./services/resolver ./services/citations ./deploy

.PHONY: generate lint-proto check-generated vet test test-all build tools local jaeger

tools:
	@mkdir -p $(TOOLBIN)
	cd tools && GOWORK=off go build -o $(TOOLBIN)/ github.com/bufbuild/buf/cmd/buf google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc github.com/fullstorydev/grpcurl/cmd/grpcurl github.com/nats-io/nats-server/v2

# Jaeger v2 for the trace test (e2e/jaeger_test.go): its go.mod has replace
# directives, so it is built through the wrapper module tools/jaeger. Large:
# about 12 CPU-minutes the first time.
jaeger:
	@mkdir -p $(TOOLBIN)
	cd tools/jaeger && GOWORK=off go build -o $(TOOLBIN)/jaeger github.com/jaegertracing/jaeger/cmd/jaeger

generate: tools
	PATH=$(TOOLBIN):$$PATH buf generate

lint-proto: tools
	$(TOOLBIN)/buf lint

check-generated: generate
	@git diff --exit-code -- proto || (echo "generated code is stale: run make generate and commit" && exit 1)
	@test -z "$$(git status --porcelain -- proto)" || (git status --porcelain -- proto; echo "generated code is stale: run make generate and commit"; exit 1)

vet:
	go vet -tags slow $(addsuffix /...,$(MODULES))

build:
	go build -o bin/ ./cmd/docbatch ./services/scheduler/cmd/scheduler ./services/processor/cmd/processor ./services/resolver/cmd/resolver ./services/citations/cmd/citations

# The README's test command: every test of every workspace module, including
# the slow suites behind the "slow" build tag (they need bin/tools/nats-server).
test: tools jaeger
	PATH=$(TOOLBIN):$$PATH go test -count=1 -tags slow -timeout 40m $(addsuffix /...,$(MODULES))

# The deployment topology as separate processes on loopback (deploy/local):
# a 3-node NATS JetStream cluster, the scheduler, 3 processors, the resolver
# and citations; runs a generated 200-document batch and stops. Pass other
# flags with LOCAL_FLAGS, e.g. make local LOCAL_FLAGS=--serve.
LOCAL_FLAGS ?= --docs 200
local: tools build
	go run ./deploy/local --bin bin --nats-server $(TOOLBIN)/nats-server $(LOCAL_FLAGS)
