-- Hand-written mart: one row per product, with its top-level category and its review count and average rating.
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

),

reviews as (

    select
        asin,
        cast(count(*) as bigint)                                             as review_count,
        -- avg is a DOUBLE on DuckDB, exact on Snowflake: made decimal before rounding, both round 1.025 to 1.03.
        cast(round(cast(avg(rating) as decimal(18, 6)), 2) as decimal(4, 2)) as average_rating
    from {{ ref('stg_amazon__reviews') }}
    group by asin

)

select
    products.asin,
    products.title,
    products.brand,
    products.main_category,
    top_category.top_category,
    products.price_usd,
    products.first_available_date,
    coalesce(reviews.review_count, cast(0 as bigint)) as review_count,
    reviews.average_rating
from products
left join top_category on products.asin = top_category.asin
left join reviews on products.asin = reviews.asin
