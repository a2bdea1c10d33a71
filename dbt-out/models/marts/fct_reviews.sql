-- Hand-written mart: one row per review, as QuickSight consumes it. The generator never touches this folder.
{{ config(materialized='table') }}

with reviews as (

    select * from {{ ref('stg_amazon__reviews') }}

),

images as (

    select
        review_id,
        cast(count(*) as bigint) as image_count
    from {{ ref('stg_amazon__review_images') }}
    group by review_id

)

select
    reviews.review_id,
    reviews.asin,
    reviews.reviewer_id,
    reviews.rating,
    coalesce(reviews.helpful_votes, 0)              as helpful_votes,
    reviews.is_verified_purchase,
    reviews.style_gift_amount,
    reviews.review_text is not null                 as has_text,
    coalesce(images.image_count, cast(0 as bigint)) as image_count,
    reviews.reviewed_at,
    reviews.review_date
from reviews
left join images on reviews.review_id = images.review_id
