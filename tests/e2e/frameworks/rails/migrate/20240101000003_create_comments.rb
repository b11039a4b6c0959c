# A child of posts that goes with its post.
class CreateComments < ActiveRecord::Migration[6.1]
  def change
    create_table :comments do |t|
      t.references :post, null: false, foreign_key: { on_delete: :cascade }
      t.text :body
      t.timestamps
    end
  end
end
