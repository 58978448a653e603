// Package deploy holds no code: its tests check the deployment files in this
// directory against Kubernetes and smsq itself. They render k8s/ with
// kustomize, validate every object against Kubernetes' OpenAPI schema and
// the CRDs' schemas (KEDA, Prometheus Operator), and check the rendered
// manifests, prometheus/ (the alert rules), docker-compose.yml and the
// Dockerfile against smsq's configuration variables, commands and metric
// names, read from the main module's source.
//
// It is a module of its own so that the main module does not depend on
// k8s.io/api or kustomize. Run: cd deploy && go test ./... (and
// ./check.sh for the promtool unit tests of the alert rules).
package deploy
