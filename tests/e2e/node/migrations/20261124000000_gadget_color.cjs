// A knex migration as an application would write it: a plain ALTER, run by
// knex inside a transaction.
exports.up = (knex) => knex.schema.alterTable('gadgets', (t) => {
  t.string('color', 20).notNullable().defaultTo('grey');
  t.index(['name'], 'gadgets_name');
});

exports.down = (knex) => knex.schema.alterTable('gadgets', (t) => {
  t.dropIndex(['name'], 'gadgets_name');
  t.dropColumn('color');
});
