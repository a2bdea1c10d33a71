-- Hand-written mart: one row per product, with its top-level category.
{{ config(materialized='table') }}

with products as (

    select * from {{ ref('stg_amazon__products') }}

),

top_category as (

    select
        asin,
        category as top_category
    from {{ ref('stg_amazon__product_categories') }}
    where position = 0

)

select
    products.asin,
    products.title,
    products.brand,
    products.main_category,
    top_category.top_category,
    products.price_usd,
    products.first_available_date
from products
left join top_category on products.asin = top_category.asin
