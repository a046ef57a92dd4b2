package main

import (
	"context"
	"fmt"
	"io"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stderr, "docbatch bench: not built yet")
	return exitCode(2)
}
