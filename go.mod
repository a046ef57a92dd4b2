module github.com/docbatch/docbatch

go 1.26.0

require (
	github.com/go-pdf/fpdf v0.9.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/nats-io/nats.go v1.55.0 // indirect
	github.com/nats-io/nkeys v0.4.17 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/schollz/progressbar/v3 v3.19.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260928230214-8a89bd6388cc // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

require (
	github.com/docbatch/docbatch/proto v0.0.0
	github.com/docbatch/docbatch/services/citations v0.0.0
	github.com/docbatch/docbatch/services/platform v0.0.0
	github.com/docbatch/docbatch/services/processor v0.0.0
	github.com/docbatch/docbatch/services/resolver v0.0.0
	github.com/docbatch/docbatch/services/scheduler v0.0.0
)

replace (
	github.com/docbatch/docbatch/proto => ./proto
	github.com/docbatch/docbatch/services/citations => ./services/citations
	github.com/docbatch/docbatch/services/platform => ./services/platform
	github.com/docbatch/docbatch/services/processor => ./services/processor
	github.com/docbatch/docbatch/services/resolver => ./services/resolver
	github.com/docbatch/docbatch/services/scheduler => ./services/scheduler
)
