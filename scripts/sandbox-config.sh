#!/usr/bin/env bash
# True when the configured topology (OPARETA_CONFIG, default config/sandbox.json) is the local sandbox.
uses_sandbox_config() {
  local root config
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  config="${OPARETA_CONFIG:-$root/config/sandbox.json}"
  node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).sandbox === true ? 0 : 1)' "$config"
}
