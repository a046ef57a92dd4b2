// Package e2e holds docbatch's end-to-end tests: a generated corpus through
// the whole pipeline in one process (the `docbatch run` command itself), and
// the services as separate OS processes on loopback (behind the slow tag).
package e2e
