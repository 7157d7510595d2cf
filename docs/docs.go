// Package docs holds the project's documents that the binary serves.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the HTTP API, served at
// /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte
