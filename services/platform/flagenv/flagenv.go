// Package flagenv binds command-line flags to DOCBATCH_* environment
// variables, so every setting of every service can come from either, with
// the flag winning when both are given.
package flagenv

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

// EnvName maps a flag name to its variable: "nats-url" → DOCBATCH_NATS_URL.
func EnvName(flagName string) string {
	return "DOCBATCH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Apply sets every flag of fs that was not given on the command line from its
// environment variable, when that is set. Call it after fs.Parse.
func Apply(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(EnvName(f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", EnvName(f.Name), v, err))
			}
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Parse parses args into fs and then applies the environment. Usage text
// gains the variable name of every flag.
func Parse(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(f.Usage, "$DOCBATCH_") {
			f.Usage += " ($" + EnvName(f.Name) + ")"
		}
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	return Apply(fs)
}

// secretWords mark flags whose values must never be printed.
var secretWords = []string{"token", "password", "secret", "key", "creds"}

// Describe returns the effective configuration as key/value pairs for a
// start-up log line, with secrets masked.
func Describe(fs *flag.FlagSet) []any {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	out := make([]any, 0, 2*len(names))
	for _, n := range names {
		v := fs.Lookup(n).Value.String()
		for _, w := range secretWords {
			if strings.Contains(n, w) && v != "" {
				v = "****"
			}
		}
		out = append(out, n, v)
	}
	return out
}
