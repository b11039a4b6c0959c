# Foreign keys dropped: the self-reference of posts, and the cascade of comments
# replaced by a plain one.
class DropSelfReference < ActiveRecord::Migration[6.1]
  def change
    remove_foreign_key :posts, column: :parent_id, to_table: :posts
    remove_foreign_key :comments, :posts, on_delete: :cascade
    add_foreign_key :comments, :posts
  end
end
