# New foreign keys on tables that already hold rows.
class AddEditors < ActiveRecord::Migration[6.1]
  def change
    add_reference :posts, :editor, index: true
    add_foreign_key :posts, :authors, column: :editor_id
    add_column :comments, :author_id, :bigint
    add_foreign_key :comments, :authors, on_delete: :nullify
  end
end
