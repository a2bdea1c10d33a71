-- Contract review fixture CE009-mart: one row per rating.
select
    rating_id,
    asin,
    rating,
    cast(round(rating) as integer) as whole_stars
from {{ ref('stg_amazon__ratings') }}
