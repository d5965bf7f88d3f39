// Gatehouse Shop: the pages work without this script; it only adds two conveniences.
(() => {
  // Tell the server the browser's time zone, so that times are shown in local time (from the next page on).
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && !document.cookie.split('; ').includes(`shop_tz=${encodeURIComponent(zone)}`)) {
    document.cookie = `shop_tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax${location.protocol === 'https:' ? '; secure' : ''}`;
  }

  // Registration: say whether the address is free as soon as it is typed (seed 001's checkEmail).
  const email = document.querySelector('form[data-check-email] input[name="email"]');
  const status = document.getElementById('email-availability');
  if (email && status) {
    email.addEventListener('change', async () => {
      status.textContent = '';
      if (!email.checkValidity() || email.value === '') return;
      try {
        const response = await fetch(`/api/auth/check-email?email=${encodeURIComponent(email.value)}`, { headers: { accept: 'application/json' } });
        if (!response.ok) return;
        const { available } = await response.json();
        status.textContent = available ? email.dataset.free : email.dataset.taken;
      } catch {
        // Offline or refused: the server says it on submit anyway.
      }
    });
  }
})();
