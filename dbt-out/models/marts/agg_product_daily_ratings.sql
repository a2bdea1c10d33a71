-- Hand-written mart: ratings per product and day, for the QuickSight rating-trend dashboard.
{{ config(materialized='table') }}

select
    asin,
    review_date,
    cast(count(*) as bigint)                                              as review_count,
    cast(sum(case when is_verified_purchase then 1 else 0 end) as bigint) as verified_review_count,
    -- avg is a DOUBLE on DuckDB, exact on Snowflake: made decimal before rounding, both round 1.025 to 1.03.
    cast(round(cast(avg(rating) as decimal(18, 6)), 2) as decimal(4, 2))  as average_rating,
    min(rating)                                                           as lowest_rating,
    max(rating)                                                           as highest_rating
from {{ ref('fct_reviews') }}
group by asin, review_date
