// Package k8s holds no code: its tests check the deployment files of
// Cloud Resizer (the Kubernetes manifests beside them, ../docker-compose.yml
// and ../Dockerfile), so that a typo fails CI instead of a deploy. It is a
// module of its own so that the main module carries no Kubernetes or
// Compose dependencies. Run: cd deploy/k8s && go test ./...
package k8s
