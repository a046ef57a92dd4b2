package natsbus

// ProcessorPublish lists the only subjects a processor needs to publish on,
// for an operator's NATS authorisation (see deploy/ and docs/operations.md):
// results, the full-text object store, and the JetStream API calls that
// ensure and use exactly those two streams. Everything else — the
// scheduler's journal and KV, the resolver's and citations' state, other
// consumers — stays out of a compromised processor's reach. Subscriptions
// are needed only on reply inboxes.
func ProcessorPublish() []string {
	obj := "OBJ_" + TextObjectStore
	return []string{
		ResultsSubjectPrefix + ">",
		"$O." + TextObjectStore + ".>",
		"$JS.API.INFO",
		"$JS.API.STREAM.CREATE." + ResultsStream,
		"$JS.API.STREAM.UPDATE." + ResultsStream,
		"$JS.API.STREAM.INFO." + ResultsStream,
		"$JS.API.STREAM.CREATE." + obj,
		"$JS.API.STREAM.UPDATE." + obj,
		"$JS.API.STREAM.INFO." + obj,
		"$JS.API.STREAM.MSG.GET." + obj,
		"$JS.API.DIRECT.GET." + obj + ".>",
		"$JS.API.STREAM.PURGE." + obj,
	}
}

// ProcessorSubscribe lists what a processor subscribes to: its own request
// replies only.
func ProcessorSubscribe() []string { return []string{"_INBOX.>"} }
