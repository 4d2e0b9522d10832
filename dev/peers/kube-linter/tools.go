//go:build tools

// Package peers pins kube-linter for test/peers (built by dev/peers/install.sh).
package peers

import _ "golang.stackrox.io/kube-linter/cmd/kube-linter"
