//go:build tools

// Package engines records the main packages that dev/engines/build.sh builds from this
// module, so that `go mod tidy` keeps their dependencies in go.mod and go.sum. The
// controller manager and the scheduler turn Deployments and Jobs into Pods bound to nodes.
package engines

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
