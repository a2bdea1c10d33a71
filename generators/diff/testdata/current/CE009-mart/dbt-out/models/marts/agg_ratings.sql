-- Contract review fixture CE009-mart: ratings per product, built on the facts.
select
    asin,
    max(rating)                                    as highest_rating,
    cast(round(avg(rating), 2) as decimal(4, 2))   as average_rating
from {{ ref('fct_ratings') }}
group by asin
