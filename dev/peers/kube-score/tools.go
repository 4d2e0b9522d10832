//go:build tools

// Package peers pins kube-score for test/peers (built by dev/peers/install.sh).
package peers

import _ "github.com/zegl/kube-score/cmd/kube-score"
