-- Hand-written mart: one row per review, as QuickSight consumes it. The generator never touches this folder.
{{ config(materialized='table') }}

with reviews as (

    select * from {{ ref('stg_amazon__reviews') }}

),

images as (

    select review_id, count(*) as image_count
    from {{ ref('stg_amazon__review_images') }}
    group by review_id

)

select
    reviews.review_id,
    reviews.asin,
    reviews.reviewer_id,
    reviews.rating,
    coalesce(reviews.helpful_votes, 0)                  as helpful_votes,
    reviews.is_verified_purchase,
    reviews.style_gift_amount,
    reviews.review_text is not null                     as has_text,
    coalesce(images.image_count, 0)                     as image_count,
    reviews.reviewed_at,
    reviews.review_date
from reviews
left join images on images.review_id = reviews.review_id
