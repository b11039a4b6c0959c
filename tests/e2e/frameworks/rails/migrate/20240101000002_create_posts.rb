# A child of authors, and of itself (a post may answer another).
class CreatePosts < ActiveRecord::Migration[6.1]
  def change
    create_table :posts do |t|
      t.references :author, null: false, foreign_key: true
      t.references :parent, foreign_key: { to_table: :posts }
      t.string :title, limit: 100, null: false
      t.timestamps
    end
  end
end
