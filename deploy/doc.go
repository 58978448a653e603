// Package deploy holds no code: its tests check the deployment files in this
// directory (Kubernetes manifests under k8s/, docker-compose.yml, Dockerfile)
// against the Kubernetes API types and against smsq itself (its configuration
// variables, commands and metric names, read from the main module's source).
//
// It is a module of its own so that the main module does not depend on
// k8s.io/api. Run: cd deploy && go test ./...
package deploy
