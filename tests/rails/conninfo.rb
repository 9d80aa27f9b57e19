# Loads a database.yml as Rails does (ERB, then YAML with aliases), connects ActiveRecord's
# PostgreSQL adapter with one environment's configuration pointed at a local server, and prints
# the keepalive keywords libpq holds for the connection (PG::Connection#conninfo_hash) as JSON:
# tests/test_rails_database_yml.py.
require "erb"
require "json"
require "uri"
require "yaml"
require "active_record"

path, environment, port = ARGV
# An environment, or one database of an environment with several ("production.replica").
config = environment.split(".").reduce(YAML.safe_load(ERB.new(File.read(path)).result, aliases: true)) { |node, key| node.fetch(key) }
local = { "host" => "127.0.0.1", "port" => port.to_i, "username" => "postgres", "password" => nil,
          "database" => "postgres", "sslmode" => "disable" }
if config["url"]
  # ActiveRecord merges a URL's keys over the mapping's: point the URL itself at the server,
  # keeping its other query keywords.
  url = URI.parse(config["url"])
  query = URI.decode_www_form(url.query || "").reject { |key, _| key == "sslmode" } + [%w[sslmode disable]]
  url.host, url.port, url.user, url.password, url.path = "127.0.0.1", port.to_i, "postgres", nil, "/postgres"
  url.query = URI.encode_www_form(query)
  local["url"] = url.to_s
end
ActiveRecord::Base.establish_connection(config.merge(local))
info = ActiveRecord::Base.connection.raw_connection.conninfo_hash
keys = %i[keepalives keepalives_idle keepalives_interval keepalives_count]
puts JSON.generate(keys.to_h { |key| [key, info[key]] })
