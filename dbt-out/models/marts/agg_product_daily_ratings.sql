-- Hand-written mart: ratings per product and day, for the QuickSight rating-trend dashboard.
{{ config(materialized='table') }}

select
    asin,
    review_date,
    cast(count(*) as bigint)                                              as review_count,
    cast(sum(case when is_verified_purchase then 1 else 0 end) as bigint) as verified_review_count,
    cast(round(avg(rating), 2) as decimal(4, 2))                          as average_rating,
    min(rating)                                                           as lowest_rating,
    max(rating)                                                           as highest_rating
from {{ ref('fct_reviews') }}
group by asin, review_date
