module github.com/docbatch/docbatch

go 1.26

require github.com/go-pdf/fpdf v0.9.0 // indirect

require (
	github.com/docbatch/docbatch/proto v0.0.0
	github.com/docbatch/docbatch/services/platform v0.0.0
	github.com/docbatch/docbatch/services/scheduler v0.0.0
	github.com/docbatch/docbatch/services/processor v0.0.0
	github.com/docbatch/docbatch/services/resolver v0.0.0
	github.com/docbatch/docbatch/services/citations v0.0.0
)

replace (
	github.com/docbatch/docbatch/proto => ./proto
	github.com/docbatch/docbatch/services/platform => ./services/platform
	github.com/docbatch/docbatch/services/scheduler => ./services/scheduler
	github.com/docbatch/docbatch/services/processor => ./services/processor
	github.com/docbatch/docbatch/services/resolver => ./services/resolver
	github.com/docbatch/docbatch/services/citations => ./services/citations
)
