# Loads a database.yml as Rails does (ERB, then YAML with aliases), connects ActiveRecord's
# PostgreSQL adapter with one environment's configuration pointed at a local server, and prints
# the keepalive keywords libpq holds for the connection (PG::Connection#conninfo_hash) as JSON:
# tests/test_rails_database_yml.py.
require "erb"
require "json"
require "yaml"
require "active_record"

path, environment, port = ARGV
# An environment, or one database of an environment with several ("production.replica").
config = environment.split(".").reduce(YAML.safe_load(ERB.new(File.read(path)).result, aliases: true)) { |node, key| node.fetch(key) }
local = { "host" => "127.0.0.1", "port" => port.to_i, "username" => "postgres", "password" => nil,
          "database" => "postgres", "sslmode" => "disable" }
ActiveRecord::Base.establish_connection(config.merge(local))
info = ActiveRecord::Base.connection.raw_connection.conninfo_hash
keys = %i[keepalives keepalives_idle keepalives_interval keepalives_count]
puts JSON.generate(keys.to_h { |key| [key, info[key]] })
