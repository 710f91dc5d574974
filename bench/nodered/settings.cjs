// Node-RED settings for bench/webhook.ts (from ../shared/peers/nodered-settings.js): node-red --settings settings.cjs --userDir TMP flows.json.
// Runtime is normal; only the editor/admin API is off (httpAdminRoot:false). The HTTP server serves the
// http-in nodes under httpNodeRoot "/" on PEER_HOST:PEER_PORT (default 127.0.0.1:1880).
module.exports = {
  uiHost: process.env.PEER_HOST || "127.0.0.1",
  uiPort: parseInt(process.env.PEER_PORT || "1880", 10),
  httpAdminRoot: false, // no editor, no admin API
  httpNodeRoot: "/", // http-in nodes: POST /hook
  disableEditor: true,
  credentialSecret: false,
  flowFilePretty: false,
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  editorTheme: { projects: { enabled: false } },
  logging: { console: { level: process.env.PEER_LOG_LEVEL || "info", metrics: false, audit: false } },
};
