//go:build tools

// Package engines records the main packages that dev/engines/build.sh builds from this
// module, so that `go mod tidy` keeps their dependencies in go.mod and go.sum.
package engines

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
