# Columns and indexes on the child (comments) and on its parents (posts, authors).
class GrowCommentsAndPosts < ActiveRecord::Migration[6.1]
  def change
    add_column :comments, :score, :integer, null: false, default: 0
    add_index :comments, [:post_id, :score]
    add_column :posts, :slug, :string, limit: 80
    add_index :posts, :slug, unique: true
    change_column :posts, :title, :string, limit: 200, null: false
    add_column :authors, :bio, :text
    add_index :authors, :email
  end
end
