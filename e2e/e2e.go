// Package e2e tests Cloud Resizer across processes: the real binary,
// real Redis and S3-compatible servers, restarts and crashes.
package e2e
