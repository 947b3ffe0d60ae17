#!/usr/bin/python3
"""webdrive.py -- drive outpost-web in headless Chromium (Selenium), for
t/web.t.  One browser per run; the steps are the arguments, run in order:

  [--nojs] BASEURL STEP...

  get PATH            load BASEURL + PATH
  login NAME PASS     fill login-user / login-password, click login-submit,
                      wait for the page that answers
  type ID TEXT        type TEXT into the element data-test=ID (cleared)
  enter ID            press Enter in it (a form is sent: wait for the page)
  click ID            click the first element data-test=ID
  confirm             accept the browser confirm() dialog that is open and
                      wait for the page the form loads
  confirm-text        the same, printing the dialog's text first
  submit ID           click the first element data-test=ID and wait for
                      the page it loads (no dialog expected)
  hover ID N          move the pointer onto element N (0-based; -1 the
                      last) of those data-test=ID
  visible ID N        print 1 if element N of those data-test=ID is
                      displayed, else 0
  text ID             print the text of element data-test=ID ("-" absent)
  count ID            print how many elements data-test=ID there are
  title               print the page's <h1>
  has TEXT            print 1 if the page's text contains TEXT, else 0
  shot NAME           screenshot into $WEB_SHOTS/NAME.png (if set)

Each printing step prints one line.  Exit 1 with the error on stderr when
a step fails (an element that must be there is not).
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def browser(nojs):
    o = webdriver.ChromeOptions()
    o.binary_location = '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu',
              '--disable-dev-shm-usage', '--window-size=1280,1000',
              '--no-first-run', '--disable-extensions',
              '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'):
        o.add_argument(a)
    if nojs:
        o.add_experimental_option(
            'prefs', {'profile.managed_default_content_settings.javascript': 2})
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'),
                            options=o)


def el(d, tid):
    return d.find_element(By.CSS_SELECTOR, '[data-test="%s"]' % tid)


def run(d, base, steps):
    i = 0
    shown = None    # the page before the last click (confirm waits it out)
    while i < len(steps):
        s = steps[i]
        if s == 'get':
            d.get(base + steps[i + 1]); i += 2
        elif s == 'login':
            d.get(base + '/login')
            el(d, 'login-user').send_keys(steps[i + 1])
            el(d, 'login-password').send_keys(steps[i + 2])
            old = d.find_element(By.TAG_NAME, 'html')
            el(d, 'login-submit').click()
            WebDriverWait(d, 30).until(EC.staleness_of(old)); i += 3
        elif s == 'type':
            e = el(d, steps[i + 1]); e.clear(); e.send_keys(steps[i + 2]); i += 3
        elif s == 'enter':   # submits a form: wait for the page it loads
            old = d.find_element(By.TAG_NAME, 'html')
            el(d, steps[i + 1]).send_keys(Keys.ENTER)
            WebDriverWait(d, 30).until(EC.staleness_of(old)); i += 2
        elif s == 'click':
            shown = d.find_element(By.TAG_NAME, 'html')
            el(d, steps[i + 1]).click(); i += 2
        elif s == 'confirm-text':
            a = d.switch_to.alert
            print(a.text)
            a.accept()
            WebDriverWait(d, 30).until(EC.staleness_of(shown)); i += 1
        elif s == 'submit':
            old = d.find_element(By.TAG_NAME, 'html')
            el(d, steps[i + 1]).click()
            WebDriverWait(d, 30).until(EC.staleness_of(old)); i += 2
        elif s == 'hover':
            f = d.find_elements(By.CSS_SELECTOR,
                                '[data-test="%s"]' % steps[i + 1])
            ActionChains(d).move_to_element(f[int(steps[i + 2])]).perform()
            i += 3
        elif s == 'visible':
            f = d.find_elements(By.CSS_SELECTOR,
                                '[data-test="%s"]' % steps[i + 1])
            print(1 if f[int(steps[i + 2])].is_displayed() else 0); i += 3
        elif s == 'confirm':
            # the form is sent once the dialog is accepted: wait for the
            # page it loads, not the one still shown
            d.switch_to.alert.accept()
            WebDriverWait(d, 30).until(EC.staleness_of(shown)); i += 1
        elif s == 'text':
            f = d.find_elements(By.CSS_SELECTOR, '[data-test="%s"]' % steps[i + 1])
            print(f[0].text.strip() if f else '-'); i += 2
        elif s == 'count':
            print(len(d.find_elements(By.CSS_SELECTOR,
                                      '[data-test="%s"]' % steps[i + 1]))); i += 2
        elif s == 'title':
            print(d.find_element(By.TAG_NAME, 'h1').text.strip()); i += 1
        elif s == 'has':
            print(1 if steps[i + 1] in d.find_element(By.TAG_NAME, 'body').text
                  else 0); i += 2
        elif s == 'shot':
            dirn = os.environ.get('WEB_SHOTS')
            if dirn:
                os.makedirs(dirn, exist_ok=True)
                d.save_screenshot(os.path.join(dirn, steps[i + 1] + '.png'))
            i += 2
        else:
            raise SystemExit('webdrive: unknown step %r' % s)
        sys.stdout.flush()


def main():
    args = sys.argv[1:]
    nojs = args and args[0] == '--nojs'
    if nojs:
        args = args[1:]
    d = browser(nojs)
    try:
        run(d, args[0], args[1:])
    except Exception as e:  # a step failed: say which, fail the run
        print('webdrive: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        return 1
    finally:
        d.quit()
    return 0


if __name__ == '__main__':
    sys.exit(main())
