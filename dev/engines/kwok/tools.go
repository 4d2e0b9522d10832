//go:build tools

// Package engines records the main package that dev/engines/build.sh builds from this
// module, so that `go mod tidy` keeps its dependencies in go.mod and go.sum.
package engines

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
