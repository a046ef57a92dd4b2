//go:build unix && !linux

package main

import "syscall"

// sysProcAttr puts a child in its own process group: a terminal's Ctrl-C
// reaches only the launcher, which stops the children in order.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
