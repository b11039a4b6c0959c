# Runs the ActiveRecord migrations in migrate/ up to a version (all of them
# when none is given), the way `rails db:migrate` does, against the database
# the environment names: E2E_HOST, E2E_PORT, E2E_DATABASE with
# SEALGATE_TEST_USER / SEALGATE_TEST_PASSWORD. Every statement is logged to
# E2E_SQL_LOG.
require "active_record"
require "logger"

ActiveSupport::LogSubscriber.colorize_logging = false
ActiveRecord::Base.logger = Logger.new(ENV.fetch("E2E_SQL_LOG"))
ActiveRecord::Base.establish_connection(
  adapter: "mysql2", encoding: "utf8mb4",
  host: ENV.fetch("E2E_HOST"), port: Integer(ENV.fetch("E2E_PORT")), database: ENV.fetch("E2E_DATABASE"),
  username: ENV.fetch("SEALGATE_TEST_USER"), password: ENV.fetch("SEALGATE_TEST_PASSWORD"))

target = ARGV[0] && Integer(ARGV[0])
ActiveRecord::MigrationContext.new(File.join(__dir__, "migrate"), ActiveRecord::SchemaMigration).migrate(target)
